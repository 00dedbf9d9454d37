"""Stage 2, geography: validated boundary layers (``layers``), the municipality key (municipality → maakunta,
welfare region, collaboration area, 2020 erva), groupings dissolved into polygons, and municipal mergers."""
