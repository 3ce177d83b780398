# What ran on the proxy's CPU while its reads waited: reads the output of cpu-runs.bt; groups the slow reads into
# stalls (overlapping waits) and sums, per thread name, the time of each run of 150 us or more within them.
# Usage: python3 stall-runs.py OUT [x]   (x: one line per stall)
import sys, collections
runs=[]; slows=[]
for l in open(sys.argv[1]):
    p=l.split()
    if not p: continue
    if p[0]=='run' and len(p)>=6:
        # comm may contain spaces: last 4 fields are tid start dur state
        comm=' '.join(p[1:-4]); tid,st,d,state=map(int,p[-4:]); runs.append((st,st+d,comm,tid,state))
    elif p[0]=='slow' and len(p)==6:
        _,sp,dp,a,r,w=p; slows.append((int(a),int(r),int(sp),int(dp)))
# group slow reads into stall events (arrival windows overlapping)
slows.sort(); events=[]
for a,r,sp,dp in slows:
    if events and a <= events[-1][1]: events[-1][1]=max(events[-1][1],r); events[-1][2]+=1
    else: events.append([a,r,1])
print(len(slows),"slow reads in",len(events),"stall events")
tot=collections.Counter(); cnt=collections.Counter(); allc=collections.Counter()
for st,en,comm,tid,state in runs: allc[comm]+= en-st
for a,r,n in events:
    ov=collections.Counter()
    for st,en,comm,tid,state in runs:
        o=min(en,r)-max(st,a)
        if o>0: ov[comm]+=o
    for c,v in ov.items(): tot[c]+=v; cnt[c]+=1
    if len(sys.argv)>2: print(f"stall {r-a}us n={n}: "+", ".join(f"{c}={v}" for c,v in ov.most_common()))
print("overlap with stalls (us total, #stalls):")
for c,v in tot.most_common(15): print(f"  {c:30s} {v:8d} {cnt[c]}")
print("all runs >=150us on cpu0 (us total):")
for c,v in allc.most_common(15): print(f"  {c:30s} {v:8d}")
