"""Programs service: long-term learning programs, their versions, sequencing and enrolment."""
