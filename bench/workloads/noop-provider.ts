// Runs in the provider process: every operation answers at once and touches nothing.
import type * as pulumi from "@pulumi/pulumi";

/** A NoOp resource's inputs and outputs alike. */
interface NoOpProps {
  index: number;
}

export const noopProvider: pulumi.dynamic.ResourceProvider<NoOpProps, NoOpProps> = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: async (_id, olds, news) => ({ changes: olds.index !== news.index }),
  create: async (inputs) => ({ id: `noop-${inputs.index}`, outs: inputs }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: news }),
  delete: async () => undefined,
};
