# Scoring script of the churn online deployment (50-serving.yaml): loads the
# model the automl-training notebook registers (outputs/model.pkl of the best
# automated ML run) and answers the churn probability of each customer.
#
# Request:  {"data": [{"tenure_months": 14, "monthly_charges": 70.5, ...}, ...]}
# Response: {"churn_probability": [0.12, ...]}
import json
import os

import joblib
import pandas as pd

model = None


def init():
    global model
    # AZUREML_MODEL_DIR is the folder the deployment mounts the model in;
    # register_model(model_path='outputs/model.pkl') keeps the file's name.
    path = os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.pkl")
    model = joblib.load(path)


def run(raw_data):
    try:
        rows = json.loads(raw_data)["data"]
        frame = pd.DataFrame(rows)
        # The second column is the probability of the positive class, churned.
        probabilities = model.predict_proba(frame)[:, 1]
        return {"churn_probability": probabilities.tolist()}
    except (KeyError, TypeError, ValueError) as error:
        return {"error": str(error)}
