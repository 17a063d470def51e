/* converge_fixtures.h - what the trainer tests share. */
#ifndef GRADTAP_TEST_CONVERGE_FIXTURES_H
#define GRADTAP_TEST_CONVERGE_FIXTURES_H

#include "gradtap/train.h"
#include "gradtap/train_model.h"
#include "gtap_test.h"

/* A logistic-regression model for `data` with the default options. */
static inline gtap_model *logreg_model(const gtap_dataset *data)
{
    gtap_model_options options;
    gtap_model_options_init(&options, GTAP_MODEL_LOGREG);
    gtap_model *model = NULL;
    GT_ASSERT_OK(gtap_model_create(&options, data, &model));
    return model;
}

#endif
