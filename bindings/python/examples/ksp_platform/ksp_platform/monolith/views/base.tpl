<!DOCTYPE html>
<html lang="sl">
<head>
    <meta charset="UTF-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{get('title', 'KAMEN ŠKARJE PAPIR')}}</title>
    <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
    <link rel="stylesheet" href="/static/style.css">
    <script src="/static/script.js" defer></script>
</head>
<body>
    <nav>
        <p>KŠP</p>
        % if get('odjava', False):
        <form action="/odjava/" method="POST" class="odjava">
            <button type="submit" class="zacetni">ODJAVA</button>
        </form>
        % end
    </nav>
    <main class="container">
        {{!base}}
    </main>
</body>
</html>
