"""Templates for the weekly email digest and its web archive page."""
