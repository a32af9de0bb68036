# A runaway loop: the box's CPU time limit stops it, the page stays
# responsive, and the next run works as before.
n = 0
while True:
    n += 1
