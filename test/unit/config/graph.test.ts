import { expect, test } from "vitest";
import { buildOrder, dependenciesOf } from "../../../src/config/graph.ts";
import { image, META, parse } from "./support.ts";

const config = () => parse(`${META}image: app\nfromImage: base\nimport:\n- artifact: assets\n  add: /dist\n- artifact: assets\n  add: /x\n` +
  `---\nartifact: assets\nfromImage: base\n---\nimage: base\nfrom: alpine\n---\nimage: other\nfrom: alpine\n`);

test("dependenciesOf lists the parent and import sources once", () => {
  expect(dependenciesOf(image(config(), "app"))).toEqual(["base", "assets"]);
  expect(dependenciesOf(image(config(), "base"))).toEqual([]);
});

test("buildOrder puts every image after what it needs", () => {
  expect(buildOrder(config().images).map((i) => i.name)).toEqual(["base", "assets", "app", "other"]);
});
