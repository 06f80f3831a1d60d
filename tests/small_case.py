"""The activity, department and response tables of the small cases in test_io and test_validation."""

ACTIVITIES = """\
activity_id,name,kind,cost,kam_hours,uplift,department,dept_hours
A1,Logistik-Paket,logistics,2500,10,0.05,Logistik,20
A2,Schulung,training,800,5,0.02,,0
"""
DEPARTMENTS = """\
department,capacity_hours
Logistik,2000
"""
RESPONSES = """\
customer_id,level,hours,realization
C1,light,60,0.2
C1,standard,120,0.3
"""
