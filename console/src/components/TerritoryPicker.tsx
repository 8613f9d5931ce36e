import type { Territory } from "../App";

export function TerritoryPicker(props: {
  territories: Territory[];
  value: string | null;
  onChange: (id: string) => void;
}) {
  return (
    <label className="picker">
      Territory
      <select value={props.value ?? ""} onChange={(e) => props.onChange(e.target.value)}>
        {props.territories.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name}
          </option>
        ))}
      </select>
    </label>
  );
}
