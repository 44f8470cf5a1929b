"""SymPy derivations of every gradient and Hessian in mlmath (see the README)."""
