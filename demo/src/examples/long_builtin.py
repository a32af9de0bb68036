# One long builtin: sum() over a range runs in C and never looks at the
# Stop flag or the clock. Stop (or the time limit) ends it by a hard stop:
# Python is restarted, with the tools and the starting files.
sum(range(10**13))
