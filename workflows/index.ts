export { type JourneyStepFunctions, journeyLoop, STATE_NAMES, STEP_RETRIES } from "./journey-loop.js";
