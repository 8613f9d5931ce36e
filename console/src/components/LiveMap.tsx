import maplibregl, { type GeoJSONSource, type StyleSpecification } from "maplibre-gl";
import { useEffect, useRef, useState } from "react";
import { request } from "../api";
import type { Technician, Territory } from "../App";
import type { BoardTaskFragment } from "../gql/graphql";
import { TrailQuery } from "../operations";
import { boxOf } from "../geo";
import { dayBounds } from "../time";

export type Position = { lat: number; lng: number; at: string | null; live: boolean };

const EMPTY: GeoJSON.FeatureCollection = { type: "FeatureCollection", features: [] };

/** A blank style: the map needs no tile server; CONSOLE_TILE_URL adds one where reachable. */
function style(tileUrl: string | null): StyleSpecification {
  return {
    version: 8,
    sources: tileUrl ? { tiles: { type: "raster", tiles: [tileUrl], tileSize: 256 } } : {},
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#eef1f4" } },
      ...(tileUrl ? [{ id: "tiles", type: "raster" as const, source: "tiles" }] : []),
    ],
  };
}

export function LiveMap(props: {
  territory: Territory;
  technicians: Technician[];
  positions: Record<string, Position>;
  tasks: BoardTaskFragment[];
  tileUrl: string | null;
  token: string;
}) {
  const container = useRef<HTMLDivElement>(null);
  const map = useRef<maplibregl.Map | null>(null);
  const markers = useRef(new Map<string, maplibregl.Marker>());
  const [ready, setReady] = useState(false);
  const [trailOf, setTrailOf] = useState<string | null>(null);
  const [trailSummary, setTrailSummary] = useState<string>("");

  useEffect(() => {
    const area = props.territory.area as GeoJSON.Geometry;
    const created = new maplibregl.Map({
      container: container.current!,
      style: style(props.tileUrl),
      bounds: (({ south, west, north, east }) => [west, south, east, north] as [number, number, number, number])(boxOf(area)),
      fitBoundsOptions: { padding: 24 },
      attributionControl: false,
    });
    created.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    created.on("load", () => {
      created.addSource("areas", { type: "geojson", data: { type: "Feature", geometry: area, properties: {} } });
      created.addLayer({ id: "area-fill", type: "fill", source: "areas", paint: { "fill-color": "#2f6fde", "fill-opacity": 0.06 } });
      created.addLayer({ id: "area-line", type: "line", source: "areas", paint: { "line-color": "#2f6fde", "line-width": 2 } });
      created.addSource("trail", { type: "geojson", data: EMPTY });
      created.addLayer({ id: "trail", type: "line", source: "trail", paint: { "line-color": "#c2410c", "line-width": 3 } });
      created.addSource("sites", { type: "geojson", data: EMPTY });
      created.addLayer({
        id: "sites",
        type: "circle",
        source: "sites",
        paint: {
          "circle-radius": 5,
          "circle-color": ["match", ["get", "assigned"], "yes", "#64748b", "#dc2626"],
          "circle-stroke-color": "#fff",
          "circle-stroke-width": 1,
        },
      });
      setReady(true);
    });
    map.current = created;
    const shown = markers.current;
    return () => {
      shown.forEach((marker) => marker.remove());
      shown.clear();
      created.remove();
      map.current = null;
    };
  }, [props.territory, props.tileUrl]);

  // Sites of today's tasks: grey when planned, red while unassigned.
  useEffect(() => {
    if (!ready) return;
    const features = props.tasks.map((task) => ({
      type: "Feature" as const,
      geometry: { type: "Point" as const, coordinates: [task.location.lng, task.location.lat] },
      properties: { id: task.id, assigned: task.technician ? "yes" : "no" },
    }));
    (map.current?.getSource("sites") as GeoJSONSource | undefined)?.setData({ type: "FeatureCollection", features });
  }, [ready, props.tasks]);

  // Technicians are HTML markers: buttons a keyboard reaches, that open the day's trail.
  useEffect(() => {
    const current = map.current;
    if (!current) return;
    for (const tech of props.technicians) {
      const where = props.positions[tech.id];
      if (!where) continue;
      let marker = markers.current.get(tech.id);
      if (!marker) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "tech-marker";
        button.dataset.technicianId = tech.id;
        button.textContent = initials(tech.name);
        button.addEventListener("click", () => setTrailOf((shown) => (shown === tech.id ? null : tech.id)));
        marker = new maplibregl.Marker({ element: button }).setLngLat([where.lng, where.lat]).addTo(current);
        markers.current.set(tech.id, marker);
      }
      const element = marker.getElement();
      marker.setLngLat([where.lng, where.lat]);
      element.dataset.lat = String(where.lat);
      element.dataset.lng = String(where.lng);
      element.className = `tech-marker status-${tech.status.toLowerCase()}${where.live ? " live" : ""}`;
      // The name starts with the visible initials, so speech input can say what is seen.
      const state = `${tech.status.toLowerCase()}${where.live ? ", reporting live" : ""}`;
      element.setAttribute("aria-label", `${initials(tech.name)}: ${tech.name}, ${state}. Show today's trail`);
      element.setAttribute("aria-pressed", String(trailOf === tech.id));
    }
  }, [props.technicians, props.positions, trailOf, ready]);

  useEffect(() => {
    const source = map.current?.getSource("trail") as GeoJSONSource | undefined;
    if (!ready || !source) return;
    if (!trailOf) {
      source.setData(EMPTY);
      setTrailSummary("");
      return;
    }
    const name = props.technicians.find((t) => t.id === trailOf)?.name ?? "technician";
    const [from] = dayBounds(props.territory.timeZone);
    request(TrailQuery, { technicianId: trailOf, from, to: new Date().toISOString() }, props.token)
      .then(({ technicianTrail }) => {
        const path = technicianTrail?.path as GeoJSON.Geometry | null | undefined;
        source.setData(path ? { type: "Feature", geometry: path, properties: {} } : EMPTY);
        if (path) {
          const { south, west, north, east } = boxOf(path);
          map.current?.fitBounds([west, south, east, north], { padding: 48, maxZoom: 15, animate: false });
        }
        const km = ((technicianTrail?.distanceMeters ?? 0) / 1000).toFixed(1);
        setTrailSummary(`Trail of ${name} today: ${km} km from ${technicianTrail?.pingCount ?? 0} positions.`);
      })
      .catch((err: Error) => {
        source.setData(EMPTY);
        setTrailSummary(`No trail for ${name}: ${err.message}`);
      });
  }, [ready, trailOf, props.token, props.territory.timeZone, props.technicians]);

  return (
    <section className="map" aria-labelledby="map-title">
      <h2 id="map-title" className="visually-hidden">
        Live map of {props.territory.name}
      </h2>
      <div ref={container} className="map-canvas" />
      <p className="legend">
        <span className="dot site-open" /> unassigned site <span className="dot site-planned" /> planned site{" "}
        <span className="dot tech" /> technician (click for today's trail)
      </p>
      <p role="status" className="trail-summary">
        {trailSummary}
      </p>
    </section>
  );
}

function initials(name: string): string {
  return name
    .split(/\s+/)
    .map((part) => part[0] ?? "")
    .join("")
    .slice(0, 2)
    .toUpperCase();
}
