// The simulator's front door: what a host tool (pindai sim, pindai emulate)
// may use. The world and virtual hardware behind it are the simulator's own.
export { SimConsole, SIM_HELP, type ConsoleOptions } from "./console";
export { attachPty, type PtyPair } from "./pn532/attach";
export { startSimFleet, MAX_SIM_DEVICES, type SimFleet } from "./fleet";
export { demoScreens, type DemoScreen } from "./demo-screens";
export { PANELS, PANEL_NAMES, type PanelName, panelMetrics, renderFramePng, renderPanelPng, INKS } from "./screen";
