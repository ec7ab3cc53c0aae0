# Builds and signs Braket requests with botocore's own service model,
# serializer and RequestSigner, and prints them as JSON for
# TestBotocoreAgreement. Usage: python3 botocore_requests.py ENDPOINT AKID SECRET PARAMS_JSON
import json
import sys

import botocore.session
from botocore import serialize
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.credentials import Credentials
from botocore.model import ServiceModel
from botocore.signers import RequestSigner

endpoint, akid, secret, params = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
session = botocore.session.get_session()
model = ServiceModel(session.get_component("data_loader").load_service_model("braket", "service-2"), "braket")
serializer = serialize.create_serializer(model.metadata["protocol"], include_validation=True)
signer = RequestSigner(model.service_id, "us-east-1", model.signing_name, model.signature_version,
                       Credentials(akid, secret), session.get_component("event_emitter"))
out = {"botocore": botocore.__version__, "protocol": model.metadata["protocol"]}
for name, args in params.items():
    op = model.operation_model(name)
    req = serializer.serialize_to_request(args, op)
    prepare_request_dict(req, endpoint_url=endpoint, user_agent="botocore-test")
    aws = create_request_object(req)
    signer.sign(name, aws)
    p = aws.prepare()
    body = p.body or b""
    out[name] = {"method": p.method, "url": p.url, "headers": {k: v.decode() if isinstance(v, bytes) else v for k, v in p.headers.items()},
                 "body": body.decode() if isinstance(body, bytes) else body}
print(json.dumps(out))
