"""Stage 2, the model: prepared data and the mixed-integer programme built from it.
"""
