"""Progress service: course structures, block completions, course completion and progress queries."""
