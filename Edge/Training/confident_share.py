"""The share of images whose first read reaches 0.9 (what the gate acts on without a
person looking), and how many of those are wrong (issue 9, item 5). Standard library only.

    python3 confident_share.py LABELS.csv READS.jsonl [LABELS.csv READS.jsonl ...]
"""
import csv, json, sys
def norm(t): return "".join(c for c in str(t).upper() if c.isalnum()).replace("O","0")
for labels, results in zip(sys.argv[1::2], sys.argv[2::2]):
    truth={}
    for r in csv.DictReader(open(labels, newline="")): truth.setdefault(r["image"],set()).add(norm(r["plate"]))
    n=len(truth); hi=0; hw=0
    for line in open(results):
        if not line.strip(): continue
        o=json.loads(line); name=str(o.get("image","")).rsplit("/",1)[-1]
        ps=o.get("plates") or []
        if ps and ps[0]["confidence"]>=0.9:
            hi+=1; hw+= norm(ps[0]["text"]) not in truth.get(name,set())
    print(f"  {results}: first read at >= 0.9 for {hi}/{n} images ({100*hi/n:.1f} %), wrong {hw}")
