// Intentionally empty: placeholder translation unit for a layer with no sources yet.
