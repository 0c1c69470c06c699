"""Language frontends: each turns source code into the AST layer of a CPG (and, for Python,
the CFG and def/use events that the passes consume)."""
