// The docs tier's pages under docs/ (the guides and the reference), run as printed (book.ts).
import { describeBook } from "./book";

describeBook("guides", "the pages under docs/");
