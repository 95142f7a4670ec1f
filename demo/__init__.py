"""The demo and the site's showcase: the synthetic archive generator, demo_setup,
demo_smoke, and example URLs built from the loaded data (the front page)."""
