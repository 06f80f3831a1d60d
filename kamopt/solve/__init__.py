"""Stage 3, solving: the solver backend (the one place that calls HiGHS and PuLP),
the one solve strategy, the neighbourhood searches and pricing.
"""
