// The docs tier's examples: each examples/*/README.md, run as printed (book.ts).
import { describeBook } from "./book";

describeBook("examples", "the examples' READMEs");
