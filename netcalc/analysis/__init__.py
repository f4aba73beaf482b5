"""The analyses: each a pure pass from (network, rows) to a frozen result the report holds.

blocks    block subtotals (GroupRow)          memory    memory figures at a dtype and batch
liveness  activations alive at once           lint      warnings about the design
generation  MACs per generated token of a decoder at its context length
receptive_field  r, S, P of every layer along each input axis (Distill 2019), misaligned merges
explain   every figure of a layer as its formula with its numbers, totals as sums
"""
