// Stand-in for CoreGraphics (tests only). It has no content: loading a library of this name is
// what the Metal stand-in's MTLCreateSystemDefaultDevice checks for, modelling Apple's note that
// a process which has not loaded CoreGraphics may get no default Metal device.
__attribute__((visibility("default"))) int djlm_standin_coregraphics = 1;
