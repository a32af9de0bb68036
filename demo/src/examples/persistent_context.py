# Runs share the current context (see the Contexts tab): run this, then
# replace it with `x + 1` and run again: the answer is 42.
x = 41
