"""Stage 4, plans: the one-year and the mid-term plan read from a solution,
verified, diagnosed when infeasible, and written out.
"""
