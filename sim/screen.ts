// The simulator shows screens as a Linux-class device does: the Node target's
// renderers (terminal box, 240x160 PNG) and its display and indicator.
export * from "../firmware/targets/node/screen";
