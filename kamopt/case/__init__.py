"""Stage 1, the case: the tables' schema, reading and writing them, validation,
scenarios, the sample company and published cases.
"""
