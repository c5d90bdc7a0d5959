// What a preview asks the host about a FlowRule (resources/host-checks.ts): the NIC, whether
// its driver has flow steering rules (ETHTOOL_GRXCLSRLCNT), and the queue within its channels.
import type { InputsOf } from "../../definition/resource";
import { isNew, type HostCheckPlan } from "../host-checks";
import type { flowRuleDefinition } from "./definition";
import { ethtoolDevice, surveyNic } from "../../host/nic";
import { refusal } from "./host";

type Inputs = InputsOf<typeof flowRuleDefinition>;

export const previewPlan: HostCheckPlan<Inputs> = async ({ host, facts, inputs: i, olds }) => {
  if (i.nic === undefined || !isNew(olds, i, "nic", "flowType", "queue")) return [];
  const no = refusal(host.host, i, await surveyNic(host, facts, ethtoolDevice(i.nic), { rules: true }));
  return no ? [{ property: no.field, reason: no.error.message }] : [];
};
