// The ring reader's dispatch path copies records into several struct locals
// per record; zeroing them first (the compiler's default) cost a 432-byte
// clear per record. Nothing here stackallocs or reads a local before writing it.
[module: System.Runtime.CompilerServices.SkipLocalsInit]
