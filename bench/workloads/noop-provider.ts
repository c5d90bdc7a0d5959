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

/** What a NetkitPair reports beyond its inputs (the device as the kernel has it), with typical values. */
const PAIR_OUTPUTS = {
  alias: "",
  groIpv4MaxSize: 65536,
  groMaxSize: 65536,
  group: 0,
  gsoIpv4MaxSize: 65536,
  gsoMaxSegs: 65535,
  gsoMaxSize: 65536,
  headroom: 0,
  ifindex: 4,
  mtu: 1500,
  numRxQueues: 1,
  numTxQueues: 1,
  otherProgramIds: [],
  peerAlias: "",
  peerGroIpv4MaxSize: 65536,
  peerGroMaxSize: 65536,
  peerGroup: 0,
  peerGsoIpv4MaxSize: 65536,
  peerGsoMaxSegs: 65535,
  peerGsoMaxSize: 65536,
  peerIfindex: 3,
  peerLeaseQueueIds: [],
  peerMtu: 1500,
  peerNetnsId: 0,
  peerNumRxQueues: 1,
  peerNumTxQueues: 1,
  peerOtherProgramIds: [],
  peerProgramIds: [],
  peerRpFilter: 0,
  peerTxQueueLen: 1000,
  programIds: [],
  rpFilter: 0,
  tailroom: 0,
  txQueueLen: 1000,
  __declared: ["name", "peerName", "peerNetns", "mode", "policy", "peerPolicy", "scrub", "peerScrub", "up", "peerUp"],
};

/** A NoOpPair's inputs: its index and a NetkitPair's inputs. */
interface NoOpPairProps {
  index: number;
  name: string;
}

/** (c′): a NoOpPair's outputs are its inputs and a NetkitPair's reported fields; nothing else happens. */
export const noopPairProvider: pulumi.dynamic.ResourceProvider<NoOpPairProps, NoOpPairProps> = {
  check: async (_olds, news) => ({ inputs: news }),
  diff: async (_id, olds, news) => ({ changes: olds.index !== news.index }),
  create: async (inputs) => ({ id: `127.0.0.1:22/${inputs.name}`, outs: { ...inputs, ...PAIR_OUTPUTS } }),
  read: async (id, props) => ({ id, props }),
  update: async (_id, _olds, news) => ({ outs: { ...news, ...PAIR_OUTPUTS } }),
  delete: async () => undefined,
};
