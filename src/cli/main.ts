// The `xenolith` command. (Grows with the bare-machine work: multiboot images, devices, --stats.)
import { Command } from "commander";

const program = new Command();
program.name("xenolith").description("32-bit x86 emulator with a Xen-style paravirtualizing hypervisor").version("0.1.0");
program
  .command("run")
  .argument("<image>", "kernel image")
  .action(() => {
    process.stderr.write("xenolith: run: booting images is not implemented yet\n");
    process.exit(2);
  });
program.parse();
