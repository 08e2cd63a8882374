// settings under hostile input: see fuzz.mjs.
import { fuzzArtifact } from "./fuzz.mjs";

fuzzArtifact("settings");
