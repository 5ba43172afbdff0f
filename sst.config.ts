/// <reference path="./.sst/platform/config.d.ts" />

// SST refuses top-level imports in this file; app() and run() import what they need.
// https://sst.dev/docs/reference/config/
export default $config({
  async app(input) {
    const { isProductionStage } = await import("./stacks/settings");
    const production = isProductionStage(input.stage);
    return {
      name: "fullstory-webhook-bridge",
      home: "aws",
      // "retain" keeps tables and buckets, not queues: stacks/queue.ts retains production's queues
      // itself. https://sst.dev/docs/reference/config/#removal
      removal: production ? "retain" : "remove",
      protect: production,
    };
  },
  async run() {
    const { stageSettings } = await import("./stacks/settings");
    const { STAGES } = await import("./stacks/stages");
    const { bridge } = await import("./stacks");
    return bridge(stageSettings($app.stage, STAGES[$app.stage]));
  },
});
