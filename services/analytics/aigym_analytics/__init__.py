"""AI Gym analytics service: facts and aggregates from events, dashboards, insights."""
