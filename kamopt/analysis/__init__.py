"""Stage 5, analysis over plans: the explorer's session, explanations, rules of
thumb, sweeps and grids, the capacity frontier, the portfolio and saved scenarios.
"""
