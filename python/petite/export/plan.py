"""Memory planning: every non-constant tensor gets an offset in one planned buffer (memory id 1).

Lifetimes run from the instruction that writes a tensor (inputs: before the first) to the last
instruction that reads it (outputs: to the end); mutable state spans the whole program. Offsets are chosen greedily, largest tensors
first, at the lowest 16-byte-aligned offset that overlaps no tensor with an intersecting
lifetime (greedy best-fit by size)."""

ALIGN = 16


def _align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def plan_memory(p):
    """Assigns Value.offset; returns (arena_bytes, sum_of_all_tensor_bytes)."""
    n = len(p.instrs)
    start, end = {}, {}
    planned = [v for v in p.values if v.kind == "tensor" and v.role not in ("const", "dead")]
    for v in planned:
        if v.role == "input":
            start[v.index], end[v.index] = -1, -1
        elif v.role == "mutable":  # state lives across runs: no other tensor may share its bytes
            start[v.index], end[v.index] = -1, n
    for i, ins in enumerate(p.instrs):
        for a in ins.args:
            v = p.values[a]
            refs = [a]
            if v.kind in ("tensor_list", "optional_tensor_list"):
                refs = [x for x in v.value if x >= 0]
            for r in refs:
                if p.values[r].kind != "tensor" or p.values[r].role in ("const", "dead"):
                    continue
                start.setdefault(r, i)
                end[r] = max(end.get(r, i), i)
    for o in p.outputs:
        if p.values[o].kind == "tensor" and p.values[o].role != "const":
            start.setdefault(o, -1)
            end[o] = n
    for v in planned:  # never used: still needs a place
        start.setdefault(v.index, -1)
        end.setdefault(v.index, n)
    order = sorted(planned, key=lambda v: (-v.nbytes(), start[v.index]))
    placed = []  # (offset, size, start, end)
    arena = 0
    for v in order:
        size, s, e = _align(max(v.nbytes(), 1)), start[v.index], end[v.index]
        conflicts = sorted((o, sz) for (o, sz, s2, e2) in placed if not (e2 < s or e < s2))
        off = 0
        for o, sz in conflicts:
            if off + size <= o:
                break
            off = max(off, o + sz)
        v.offset = off
        placed.append((off, size, s, e))
        arena = max(arena, off + size)
    naive = sum(_align(max(v.nbytes(), 1)) for v in planned)
    return arena, naive
