// Territory areas are GeoJSON geometries; the map and the live stream need their extent.

export type Box = { south: number; west: number; north: number; east: number };

/** The geometry's bounding box, widened by `pad` degrees on every side. */
export function boxOf(geometry: GeoJSON.Geometry, pad = 0): Box {
  const box = { south: 90, west: 180, north: -90, east: -180 };
  const visit = (coords: unknown): void => {
    if (Array.isArray(coords) && typeof coords[0] === "number") {
      const [lng, lat] = coords as [number, number];
      box.south = Math.min(box.south, lat);
      box.north = Math.max(box.north, lat);
      box.west = Math.min(box.west, lng);
      box.east = Math.max(box.east, lng);
    } else if (Array.isArray(coords)) coords.forEach(visit);
  };
  if ("coordinates" in geometry) visit(geometry.coordinates);
  return { south: box.south - pad, west: box.west - pad, north: box.north + pad, east: box.east + pad };
}
