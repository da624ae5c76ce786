"""Serverless functions: one module per endpoint, each ``handler(event, context)``.

Handlers take and return the AWS Lambda proxy format (which Netlify Functions
also use): ``event`` has ``httpMethod``, ``path``, ``headers``,
``queryStringParameters``, ``body`` and ``isBase64Encoded``; the result is
``{"statusCode": int, "headers": dict, "body": str}``. The CDN rewrites
``/api/*`` and ``/preview`` to them: ``search``, ``comments`` and ``preview``
(``adapter`` runs any of them under WSGI or ``jamtail serve``).
"""
