// iced-x86, loaded with require(). Importing the CommonJS package from an ES module makes Node
// scan its 900 KB of JavaScript for export names (cjs-module-lexer) on every start: measured
// ~80 ms of CPU and ~9 MiB of peak RSS on `xenolith run` of an empty kernel.
import { createRequire } from "node:module";
import type * as Iced from "iced-x86";

const iced: typeof Iced = createRequire(import.meta.url)("iced-x86");

export const {
  Code, CpuidFeature, Decoder, DecoderError, DecoderOptions, Formatter, FormatterSyntax, Instruction, OpKind, Register,
} = iced;
export type CpuidFeature = Iced.CpuidFeature;
export type Code = Iced.Code;
export type ConstantOffsets = Iced.ConstantOffsets;
export type Decoder = Iced.Decoder;
export type DecoderError = Iced.DecoderError;
export type DecoderOptions = Iced.DecoderOptions;
export type Formatter = Iced.Formatter;
export type FormatterSyntax = Iced.FormatterSyntax;
export type Instruction = Iced.Instruction;
export type OpKind = Iced.OpKind;
export type Register = Iced.Register;
