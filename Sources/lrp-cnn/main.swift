// lrp-cnn: relevance heatmaps for CNNs in ONNX format. Argument parsing and printing only;
// the work is done by the CNNRelevance library.
import CKernels
import CLISupport

// Every batch allocates and frees the same large buffers (activations, rule products).
// glibc would return each to the kernel on free and re-fault its pages on the next batch:
// alpha-beta at batch 1 spent a quarter of its CPU time in the kernel (README, Speed).
_ = lrp_keep_freed_memory()
CommandLineRunner.run(LRPCNN.self)
