# A runaway loop. Press Stop: on a cross-origin isolated page it ends at
# once and the context keeps its variables; elsewhere Python is restarted
# (a hard stop). Without Stop, the CPU time limit ends it.
n = 0
while True:
    n += 1
