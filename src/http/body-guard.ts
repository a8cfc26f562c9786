// A pass over a parsed body before Ajv. Ajv with allErrors builds one error object per unknown
// property, so a 0.9 MB body of 90,000 keys cost half a second and a 4.7 MB answer. Where an
// object or array holds far more members than its schema allows, this pass reports them itself —
// the first few by name, the rest as a count — at about the cost of counting them, and hands Ajv a
// copy pruned to what the schema declares, so that the errors of the declared fields stay exact.
import type { ErrorObject } from "ajv";
import { MAX_LISTED_ERRORS } from "./problem.ts";

/** Members beyond what the schema allows that Ajv may still report one by one. */
const SLACK = MAX_LISTED_ERRORS;

/** The keyword of the entry that carries how many offending fields were counted but not listed. */
export const OMITTED_KEYWORD = "errorsOmitted";

/** What the schema allows of one object or array, and the plans of the members worth descending into. */
interface Plan {
  /** A closed object's declared property names (additionalProperties false); undefined when open. */
  names?: Set<string>;
  /** The most members (properties or items) the schema allows. */
  max: number;
  /** "properties" or "items": what `max` counts, for the message. */
  unit: "properties" | "items";
  children: Map<string, Plan>;
  items?: Plan;
}

type Schema = Record<string, unknown>;

/** The plan of a body schema; undefined where the schema bounds nothing this pass could check. */
export function planFor(schema: unknown): Plan | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  const s = schema as Schema;
  if (s.type === "array") {
    const items = planFor(s.items);
    const max = typeof s.maxItems === "number" ? s.maxItems : Infinity;
    return max === Infinity && !items ? undefined : { max, unit: "items", children: new Map(), ...(items ? { items } : {}) };
  }
  if (s.type !== "object" && typeof s.properties !== "object") return undefined;
  const properties = (typeof s.properties === "object" && s.properties !== null ? s.properties : {}) as Record<string, unknown>;
  const closed = s.additionalProperties === false && s.patternProperties === undefined;
  const maxProperties = typeof s.maxProperties === "number" ? s.maxProperties : Infinity;
  const children = new Map<string, Plan>();
  for (const [name, sub] of Object.entries(properties)) {
    const child = planFor(sub);
    if (child) children.set(name, child);
  }
  const max = closed ? Math.min(Object.keys(properties).length, maxProperties) : maxProperties;
  if (max === Infinity && children.size === 0) return undefined;
  return { ...(closed ? { names: new Set(Object.keys(properties)) } : {}), max, unit: "properties", children };
}

function entry(keyword: string, instancePath: string, params: Record<string, unknown>, message: string): ErrorObject {
  return { keyword, instancePath, schemaPath: "", params, message };
}

class Findings {
  readonly errors: ErrorObject[] = [];
  omitted = 0;

  /** Built only while it will be listed: past that, an offending member is just counted. */
  add(error: () => ErrorObject): void {
    if (this.errors.length < MAX_LISTED_ERRORS) this.errors.push(error());
    else this.omitted++;
  }
}

/** A closed object flooded with unknown keys: those are reported here, the declared ones kept for Ajv. */
function pruneClosed(obj: Record<string, unknown>, keys: string[], names: Set<string>, path: string, found: Findings): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const name of names) if (Object.hasOwn(obj, name)) kept[name] = obj[name];
  for (const key of keys) {
    if (!names.has(key)) found.add(() => entry("additionalProperties", path, { additionalProperty: key }, "must NOT have additional properties"));
  }
  return kept;
}

function prune(value: unknown, plan: Plan, path: string, found: Findings): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value) !== (plan.unit === "items")) return value;
  const tooMany = () =>
    entry(plan.unit === "items" ? "maxItems" : "maxProperties", path, { limit: plan.max }, `must NOT have more than ${plan.max} ${plan.unit}`);
  if (Array.isArray(value)) {
    if (value.length > plan.max + SLACK) {
      found.add(tooMany);
      return [];
    }
    if (!plan.items) return value;
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const pruned = prune(item, plan.items!, `${path}/${i}`, found);
      if (pruned !== item) (copy ??= [...value])[i] = pruned;
    });
    return copy ?? value;
  }
  let obj = value as Record<string, unknown>;
  // One enumeration, reused: listing a 90,000-key object's keys costs V8 more than walking the list.
  const keys = Object.keys(obj);
  if (keys.length > plan.max + SLACK) {
    if (!plan.names) {
      found.add(tooMany);
      return {};
    }
    obj = pruneClosed(obj, keys, plan.names, path, found);
  }
  for (const [name, child] of plan.children) {
    if (!Object.hasOwn(obj, name)) continue;
    const pruned = prune(obj[name], child, `${path}/${name}`, found);
    // Copied only when small: a flooded object has already been pruned to its declared members.
    if (pruned !== obj[name]) obj = { ...obj, [name]: pruned };
  }
  return obj;
}

/**
 * The errors this pass found and the body Ajv should validate instead of `data`; undefined when
 * nothing overflowed (Ajv validates `data` itself, and the pass has allocated nothing).
 */
export function checkBody(data: unknown, plan: Plan): { errors: ErrorObject[]; pruned: unknown } | undefined {
  const found = new Findings();
  const pruned = prune(data, plan, "", found);
  if (found.errors.length === 0) return undefined;
  const errors = found.errors;
  if (found.omitted > 0) errors.push(entry(OMITTED_KEYWORD, "", { count: found.omitted }, `and ${found.omitted} more`));
  return { errors, pruned };
}
