// The compact table of revoked sessions (sessions/digest-table.ts) against a Map, and its size.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DigestTable, digestOf } from "../src/sessions/digest-table.ts";

describe("digest table", () => {
  it("answers as a Map of the ids would, through growth and expiry", () => {
    const id = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }), fc.constantFrom("a", "b", "00000000-0000-0000-0000-000000000000"));
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), id, value: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ kind: fc.constant("expire" as const), at: fc.integer({ min: 0, max: 100 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new DigestTable(16);
        const model = new Map<string, { value: number }>();
        for (const o of ops) {
          if (o.kind === "set") {
            const held = model.get(o.id);
            model.set(o.id, { value: Math.max(held?.value ?? 0, o.value) });
            table.set(o.id, o.value);
          } else {
            for (const [key, entry] of model) if (entry.value <= o.at) model.delete(key);
            table.deleteExpired(o.at);
          }
          assert.equal(table.size, model.size);
        }
        for (const [key, entry] of model) assert.equal(table.get(key), entry.value, key);
      }),
    );
  });

  it("holds 200,000 revoked sessions in at most 11 MB", () => {
    const table = new DigestTable();
    const ids = Array.from({ length: 200_000 }, () => randomUUID());
    for (const id of ids) table.set(id, 2_000_000_000);
    assert.equal(table.size, 200_000);
    assert.ok(table.bytes <= 11 * 1024 * 1024, `${table.bytes} bytes`);
    assert.ok(ids.every((id) => table.get(id) === 2_000_000_000));
    assert.equal(table.get(randomUUID()), undefined);
  });

  it("reads a UUID's own bits (either case) and hashes anything else", () => {
    const id = randomUUID();
    assert.deepEqual(digestOf(id), digestOf(id.toUpperCase()));
    assert.equal(digestOf(id)[0], parseInt(id.slice(0, 8), 16));
    assert.notDeepEqual(digestOf("not-a-uuid"), digestOf("not-a-uuid2"));
  });
});
