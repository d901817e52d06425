export { wrapWords } from "../firmware/targets/node/wrap";
