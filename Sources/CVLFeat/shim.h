#ifndef CVLFEAT_SHIM_H
#define CVLFEAT_SHIM_H
#include <vl/generic.h>
#include <vl/dsift.h>
#include <vl/imopv.h>
#include <vl/gmm.h>
#include <vl/fisher.h>
#include <vl/kmeans.h>
#include <vl/svm.h>
#endif
