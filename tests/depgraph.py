#!/usr/bin/env python3
"""The dependency graph of src/: which file uses which, read from the
built objects (nm: each file's undefined symbols, matched to the file that
defines them), and the check that it is one-way (no file reaches itself
through the files it uses). Prints one line per file and its uses, then
"cycles: none" or the cycles, and exits 1 when there is one.

usage: depgraph.py OBJDIR   (the build's src/.libs)"""
import glob
import os
import subprocess
import sys

PREFIX = 'libautotune_core_la-'


def symbols(objdir):
    defs, uses = {}, {}
    for obj in sorted(glob.glob(os.path.join(objdir, PREFIX + '*.o'))):
        name = os.path.basename(obj)[len(PREFIX):-2] + '.c'
        out = subprocess.run(['nm', obj], capture_output=True, text=True,
                             check=True).stdout
        uses[name] = set()
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in 'TDRB':
                defs[p[2]] = name
            elif len(p) == 2 and p[0] == 'U':
                uses[name].add(p[1])
    return defs, uses


def cycles_of(graph):
    state, found = {}, []

    def visit(n, path):
        state[n] = 1
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                found.append(path[path.index(m):] + [m])
            elif not state.get(m):
                visit(m, path + [m])
        state[n] = 2

    for n in sorted(graph):
        if not state.get(n):
            visit(n, [n])
    return found


def main():
    defs, uses = symbols(sys.argv[1])
    if not uses:
        sys.exit('depgraph: no objects in ' + sys.argv[1])
    graph = {f: {defs[s] for s in u if s in defs and defs[s] != f}
             for f, u in uses.items()}
    for f in sorted(graph):
        print(f'{f} -> {" ".join(sorted(graph[f])) or "(nothing)"}')
    found = cycles_of(graph)
    print('cycles:', ' ; '.join(' -> '.join(c) for c in found) or 'none')
    sys.exit(1 if found else 0)


main()
