"""The analysis room: reliability, gateways and criticality, minimum cuts, appraisal (projects and
portfolio) and calibration: questions answered by running the models.

May import: the scenarios room, the model rooms, the network room and the core.
"""
