"""Stage 6, presentation: charts, the explorer's widgets, the scenario library
and the HTML report.
"""
