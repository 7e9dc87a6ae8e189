"""Sections 1-5: the experiments, figures and sliders the main assignment's notebooks show."""
